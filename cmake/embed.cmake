# cmake -DIN=file.bin -DOUT=file.cpp -DNAMESPACE=ns -DSYMBOL=name -P embed.cmake
# Writes a C++ source defining `const unsigned char NAMESPACE::SYMBOL[]` and
# `const std::size_t NAMESPACE::SYMBOL_size` with the bytes of IN.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUT}" "// Generated from ${IN} by cmake/embed.cmake; do not edit.\n#include <cstddef>\n\nnamespace ${NAMESPACE} {\nextern const unsigned char ${SYMBOL}[] = {\n    ${bytes}\n};\nextern const std::size_t ${SYMBOL}_size = ${size};\n}  // namespace ${NAMESPACE}\n")
