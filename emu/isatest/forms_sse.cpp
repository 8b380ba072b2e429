// isa-test forms: SSE and SSE2 (see forms.h).
#include "forms.h"

namespace sy::isatest {

std::vector<Form> sse_forms() {
    std::vector<Form> f;
    f.push_back({"movdqa xmm, xmm", "sse-move", ZYDIS_MNEMONIC_MOVDQA, {xmm(), xmm()}});
    f.push_back({"movdqa xmm, m128", "sse-move", ZYDIS_MNEMONIC_MOVDQA, {xmm(), mem(128)}, 0, 0, 16});
    f.push_back({"movdqu m128, xmm", "sse-move", ZYDIS_MNEMONIC_MOVDQU, {mem(128), xmm()}});
    return f;
}

}  // namespace sy::isatest
