#include "server/aws/input_pruner.h"

namespace berth::aws {

void PruneToShape(const model::ShapeModel& shape, nlohmann::json& value) {
  using model::ShapeType;
  switch (shape.type) {
    case ShapeType::kStructure: {
      if (shape.document || !value.is_object()) return;
      for (auto it = value.begin(); it != value.end();) {
        const model::MemberModel* member = shape.FindMember(it.key());
        if (member == nullptr || it->is_null()) {
          it = value.erase(it);
          continue;
        }
        PruneToShape(*member->target, *it);
        ++it;
      }
      return;
    }
    case ShapeType::kList:
      if (!value.is_array()) return;
      for (auto& item : value) PruneToShape(*shape.member, item);
      return;
    case ShapeType::kMap:
      if (!value.is_object()) return;
      for (auto& [key, item] : value.items()) PruneToShape(*shape.value, item);
      return;
    default:
      return;
  }
}

}  // namespace berth::aws
