#include "server/ecr/manifest.h"

#include <nlohmann/json.hpp>

#include "server/ecr/digest.h"
#include "server/ecr/image_error.h"

namespace berth::ecr {
namespace {

using nlohmann::json;

[[noreturn]] void Invalid(const std::string& why) {
  throw ImageError(ImageError::Kind::kManifestInvalid, "manifest invalid: " + why);
}

std::optional<std::string> OptionalString(const json& object, const char* key, const char* where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) Invalid(std::string(where) + "." + key + " must be a string");
  return it->get<std::string>();
}

std::optional<std::string> Annotations(const json& object, const char* where) {
  const auto it = object.find("annotations");
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) Invalid(std::string(where) + ".annotations must be an object");
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) Invalid(std::string(where) + ".annotations values must be strings");
  }
  return it->dump();
}

Descriptor ReadDescriptor(const json& value, const std::string& where) {
  if (!value.is_object()) Invalid(where + " must be a descriptor object");
  Descriptor d;
  const auto media_type = OptionalString(value, "mediaType", where.c_str());
  if (!media_type || media_type->empty()) Invalid(where + ".mediaType is required");
  d.media_type = *media_type;
  const auto digest = OptionalString(value, "digest", where.c_str());
  if (!digest) Invalid(where + ".digest is required");
  if (!ParseDigest(*digest)) {
    throw ImageError(ImageError::Kind::kDigestInvalid,
                     "invalid digest in " + where + ": " + *digest, *digest);
  }
  d.digest = *digest;
  const auto size = value.find("size");
  if (size == value.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
    Invalid(where + ".size must be a non-negative integer");
  }
  d.size = size->get<int64_t>();
  d.artifact_type = OptionalString(value, "artifactType", where.c_str());
  d.annotations = Annotations(value, where.c_str());
  if (const auto urls = value.find("urls"); urls != value.end() && !urls->is_null()) {
    if (!urls->is_array()) Invalid(where + ".urls must be a list");
    d.has_urls = !urls->empty();
  }
  return d;
}

std::vector<Descriptor> ReadDescriptors(const json& manifest, const char* key) {
  const auto it = manifest.find(key);
  if (it == manifest.end() || !it->is_array()) Invalid(std::string(key) + " must be a list");
  std::vector<Descriptor> out;
  for (size_t i = 0; i < it->size(); ++i) {
    out.push_back(ReadDescriptor((*it)[i], std::string(key) + "[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace

bool Descriptor::foreign() const {
  return has_urls && (media_type.starts_with("application/vnd.oci.image.layer.nondistributable.") ||
                      media_type == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");
}

bool IsManifestMediaType(std::string_view media_type) {
  return media_type == kDockerManifest || media_type == kDockerManifestList ||
         media_type == kOciManifest || media_type == kOciIndex;
}

bool IsIndexMediaType(std::string_view media_type) {
  return media_type == kDockerManifestList || media_type == kOciIndex;
}

namespace {

// A declared type without its parameters (e.g. "; charset=utf-8").
std::string_view WithoutParameters(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type;
}

bool IsTyped(std::string_view type) {
  return !type.empty() && type != "application/json" && type != "application/octet-stream";
}

}  // namespace

bool ContradictsMediaType(std::string_view declared_type, std::string_view manifest_type) {
  declared_type = WithoutParameters(declared_type);
  return IsTyped(declared_type) && declared_type != manifest_type;
}

Manifest ParseManifest(std::string_view bytes, std::string_view content_type) {
  content_type = WithoutParameters(content_type);
  if (content_type == kDockerSchema1 || content_type == kDockerSchema1Signed) {
    throw ImageError(ImageError::Kind::kManifestInvalid,
                     "manifest invalid: Docker schema 1 manifests are not supported");
  }
  const json doc = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) Invalid("the manifest is not a JSON object");
  const auto version = doc.find("schemaVersion");
  if (version == doc.end() || !version->is_number_integer()) Invalid("schemaVersion is required");
  if (version->get<int64_t>() != 2) {
    Invalid("schemaVersion " + version->dump() + " is not supported (only 2)");
  }

  Manifest m;
  const auto declared = OptionalString(doc, "mediaType", "manifest");
  const bool typed_content = IsTyped(content_type);
  if (declared && ContradictsMediaType(content_type, *declared)) {
    Invalid("mediaType " + *declared + " does not match Content-Type " + std::string(content_type));
  }
  if (declared) {
    m.media_type = *declared;
  } else if (typed_content) {
    m.media_type = std::string(content_type);
  } else if (doc.contains("manifests")) {
    m.media_type = std::string(kOciIndex);
  } else if (doc.contains("config")) {
    m.media_type = std::string(kOciManifest);
  } else {
    Invalid("the manifest has no mediaType and is neither an image manifest nor an index");
  }
  if (!IsManifestMediaType(m.media_type)) {
    Invalid("unsupported manifest media type " + m.media_type);
  }
  m.is_index = IsIndexMediaType(m.media_type);
  if (m.is_index) {
    m.manifests = ReadDescriptors(doc, "manifests");
  } else {
    const auto config = doc.find("config");
    if (config == doc.end()) Invalid("config is required");
    m.config = ReadDescriptor(*config, "config");
    m.layers = ReadDescriptors(doc, "layers");
  }
  if (const auto subject = doc.find("subject"); subject != doc.end() && !subject->is_null()) {
    m.subject = ReadDescriptor(*subject, "subject");
  }
  m.artifact_type = OptionalString(doc, "artifactType", "manifest");
  m.annotations = Annotations(doc, "manifest");
  return m;
}

bool Acceptable(std::string_view stored, std::string_view accept) {
  if (accept.empty()) return true;
  // Accept is a comma-separated list of media ranges with optional parameters.
  size_t start = 0;
  while (start <= accept.size()) {
    const auto comma = accept.find(',', start);
    std::string_view item = accept.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    item = item.substr(0, item.find(';'));
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == stored || item == "*/*" || item == "application/*" || item == "application/json") {
      return true;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

}  // namespace berth::ecr
