#include "server/aws/model/service_model.h"

#include <algorithm>
#include <span>
#include <string_view>

namespace berth::aws::model {
namespace {

// Binary search over a table sorted by `name`; nullptr when absent.
template <typename T>
const T* FindByName(std::span<const T> table, std::string_view name) {
  auto it = std::lower_bound(table.begin(), table.end(), name,
                             [](const T& row, std::string_view key) { return row.name < key; });
  if (it == table.end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace

std::string_view ShapeTypeName(ShapeType type) {
  switch (type) {
    case ShapeType::kStructure:
      return "structure";
    case ShapeType::kList:
      return "list";
    case ShapeType::kMap:
      return "map";
    case ShapeType::kString:
      return "string";
    case ShapeType::kInteger:
      return "integer";
    case ShapeType::kLong:
      return "long";
    case ShapeType::kBoolean:
      return "boolean";
    case ShapeType::kTimestamp:
      return "timestamp";
    case ShapeType::kBlob:
      return "blob";
    case ShapeType::kDouble:
      return "double";
    case ShapeType::kFloat:
      return "float";
  }
  return "unknown";
}

const MemberModel* ShapeModel::FindMember(std::string_view member_name) const {
  for (const MemberModel& m : members) {
    if (m.name == member_name) return &m;
  }
  return nullptr;
}

const OperationModel* ServiceModel::FindOperation(std::string_view name) const {
  return FindByName(operations, name);
}

const ExceptionModel* ServiceModel::FindException(std::string_view name) const {
  return FindByName(exceptions, name);
}

bool ServiceModel::HasException(std::string_view name) const {
  return FindException(name) != nullptr;
}

const ShapeModel* ServiceModel::FindShape(std::string_view name) const {
  return FindByName(shapes, name);
}

}  // namespace berth::aws::model
