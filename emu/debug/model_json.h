// The model as JSON (`switchyard gui --dump-state FILE`): every address and
// register is a number. docs/gui.md lists the fields.
#pragma once
#include <nlohmann/json.hpp>

#include "model.h"

namespace sy::debug {

nlohmann::json model_json(const Model& m);

}  // namespace sy::debug
