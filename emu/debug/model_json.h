// The model as JSON (`switchyard gui --dump-state FILE`): every address and
// register is a number. docs/gui.md lists the fields.
#pragma once
#include <nlohmann/json.hpp>

#include "model.h"
#include "trace.h"

namespace sy::debug {

nlohmann::json model_json(const Model& m);
// The switch's steps and the current one (`anatomy` in the model's JSON).
nlohmann::json anatomy_json(const Anatomy& a);
// The Timeline panel's event list (emu/trace/trace.h) as it stands, what is
// still open closed at each CPU's clock: one object per event, in the order
// trace::timeline() gives (by begin).
nlohmann::json timeline_json(const trace::Recorder& r, Machine& m);

}  // namespace sy::debug
