// isa-test: drawing random cases for a form.
#pragma once
#include <string>

#include "forms.h"

namespace sy::isatest {

// Fills the data area deterministically from a seed (so a case stores 8 bytes,
// not 16 KiB, in --json files).
void fill_data(u64 seed, std::vector<u8>& data);

// Draws one case of `form`. Returns false (with a reason) when the form cannot
// be encoded; that is a bug in the form table.
bool generate(const Form& form, Rng& rng, Case& out, std::string* error);

// Intel-syntax disassembly of the case's bytes at kInsnAddr.
std::string disassemble(const std::vector<u8>& bytes);

}  // namespace sy::isatest
