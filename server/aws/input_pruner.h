#pragma once

// Drops request members the botocore model does not know, recursively, so
// handlers and stored documents only ever see modelled members (AWS ignores
// unknown members rather than storing them).

#include <nlohmann/json.hpp>

#include "server/aws/model/service_model.h"

namespace berth::aws {

// `value` must already have passed validation against `shape`. Document
// shapes are kept whole.
void PruneToShape(const model::ShapeModel& shape, nlohmann::json& value);

}  // namespace berth::aws
