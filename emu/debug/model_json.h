// The model as JSON (`switchyard gui --dump-state FILE`): every address and
// register is a number. docs/gui.md lists the fields.
#pragma once
#include <nlohmann/json.hpp>

#include "model.h"

namespace sy::debug {

nlohmann::json model_json(const Model& m);
// The switch's steps and the current one (`anatomy` in the model's JSON).
nlohmann::json anatomy_json(const Anatomy& a);

}  // namespace sy::debug
