#pragma once

// The fixture of the ECR image API tests: ApiTest with blobs uploaded through
// InitiateLayerUpload/UploadLayerPart/CompleteLayerUpload, manifests put with
// PutImage, and the media types and messages the tests compare against.

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "server/ecr/image_error.h"
#include "server/ecr/image_service.h"
#include "server/util/crypto.h"
#include "tests/support/api_fixture.h"

namespace berth::testing {

using nlohmann::json;

inline constexpr const char* kAccount = "000000000000";
inline constexpr const char* kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciEmpty = "application/vnd.oci.empty.v1+json";
inline constexpr const char* kMissingBoth =
    "Invalid request parameters: both tag and digest cannot be null";
inline constexpr const char* kNotFound = "Requested image not found";

// A blob as a manifest names it.
struct Blob {
  std::string digest;
  int64_t size = 0;
};

// An image put through the API: its manifest and the blobs it names.
struct Image {
  std::string digest;
  std::string manifest;
  Blob config;
  std::vector<Blob> layers;
};

inline std::string Sha256(const std::string& content) {
  return "sha256:" + crypto::Sha256Hex(content);
}

inline json Descriptor(const char* media_type, const Blob& blob) {
  return {{"mediaType", media_type}, {"digest", blob.digest}, {"size", blob.size}};
}

// A Docker schema 2 manifest (or another type with the same shape).
inline std::string ManifestText(const Blob& config, const std::vector<Blob>& layers,
                                const char* media_type = kDockerManifest,
                                const char* config_type = kDockerConfig) {
  json layer_list = json::array();
  for (const auto& layer : layers) layer_list.push_back(Descriptor(kDockerLayer, layer));
  return json{{"schemaVersion", 2},
              {"mediaType", media_type},
              {"config", Descriptor(config_type, config)},
              {"layers", layer_list}}
      .dump();
}

class EcrImagesTest : public ApiTest {
 protected:
  EcrImagesTest() { CreateRepository("app"); }

  void CreateRepository(const std::string& name, json extra = json::object()) {
    extra["repositoryName"] = name;
    EcrOk("CreateRepository", extra);
  }

  std::string Initiate(const std::string& repository = "app") {
    const json out = EcrOk("InitiateLayerUpload", {{"repositoryName", repository}});
    return out.value("uploadId", "");
  }

  ApiReply Part(const std::string& upload, int64_t first, const std::string& data,
                const std::string& repository = "app") {
    return Ecr("UploadLayerPart", {{"repositoryName", repository},
                                   {"uploadId", upload},
                                   {"partFirstByte", first},
                                   {"partLastByte", first + static_cast<int64_t>(data.size()) - 1},
                                   {"layerPartBlob", crypto::Base64Encode(data)}});
  }

  ApiReply Complete(const std::string& upload, const std::string& digest,
                    const std::string& repository = "app") {
    return Ecr("CompleteLayerUpload",
               {{"repositoryName", repository}, {"uploadId", upload}, {"layerDigests", {digest}}});
  }

  // Uploads `content` as one layer through the layer API, unless the
  // repository has it already (as clients check first).
  Blob Upload(const std::string& content, const std::string& repository = "app") {
    const Blob blob{Sha256(content), static_cast<int64_t>(content.size())};
    if (LayerAvailable(blob.digest, repository)) return blob;
    const std::string upload = Initiate(repository);
    EXPECT_EQ(Part(upload, 0, content, repository).status, 200u);
    const std::string digest = Sha256(content);
    const json done =
        EcrOk("CompleteLayerUpload",
              {{"repositoryName", repository}, {"uploadId", upload}, {"layerDigests", {digest}}});
    EXPECT_EQ(done.value("layerDigest", ""), digest);
    return {digest, static_cast<int64_t>(content.size())};
  }

  ApiReply Put(const std::string& manifest, const std::string& tag = "",
               const std::string& repository = "app", json extra = json::object()) {
    extra["repositoryName"] = repository;
    extra["imageManifest"] = manifest;
    if (!tag.empty()) extra["imageTag"] = tag;
    return Ecr("PutImage", extra);
  }

  // Uploads a config and layers named after `seed` and puts the manifest.
  Image PushImage(const std::string& seed, const std::string& tag = "",
                  const std::string& repository = "app",
                  const std::vector<std::string>& shared_layers = {}) {
    Image image;
    image.config = Upload("{\"config\":\"" + seed + "\"}", repository);
    for (const auto& content : shared_layers) image.layers.push_back(Upload(content, repository));
    image.layers.push_back(Upload("layer-one-" + seed, repository));
    image.layers.push_back(Upload("layer-two-" + seed + "-longer", repository));
    image.manifest = ManifestText(image.config, image.layers);
    image.digest = Sha256(image.manifest);
    const ApiReply r = Put(image.manifest, tag, repository);
    EXPECT_EQ(r.status, 200u) << r.raw;
    return image;
  }

  // An index naming `children`.
  static std::string IndexText(const std::vector<Image>& children) {
    json manifests = json::array();
    for (const auto& child : children) {
      json d =
          Descriptor(kDockerManifest, {child.digest, static_cast<int64_t>(child.manifest.size())});
      d["platform"] = {{"architecture", "amd64"}, {"os", "linux"}};
      manifests.push_back(std::move(d));
    }
    return json{{"schemaVersion", 2}, {"mediaType", kDockerList}, {"manifests", manifests}}.dump();
  }

  // Every ListImages entry across all pages, as "digest" or "digest tag".
  std::vector<std::string> Listed(json input = json::object(),
                                  const std::string& repository = "app") {
    input["repositoryName"] = repository;
    std::vector<std::string> entries;
    for (int page = 0; page < 100; ++page) {
      const json out = EcrOk("ListImages", input);
      for (const auto& id : out.value("imageIds", json::array())) {
        std::string entry = id.value("imageDigest", "");
        if (id.contains("imageTag")) entry += " " + id["imageTag"].get<std::string>();
        entries.push_back(entry);
      }
      if (!out.contains("nextToken")) break;
      input["nextToken"] = out["nextToken"];
    }
    return entries;
  }

  json Details(json input = json::object(), const std::string& repository = "app") {
    input["repositoryName"] = repository;
    return EcrOk("DescribeImages", input).value("imageDetails", json::array());
  }

  json Detail(const std::string& digest, const std::string& repository = "app") {
    const json details = Details({{"imageIds", {{{"imageDigest", digest}}}}}, repository);
    return details.size() == 1 ? details[0] : json();
  }

  bool HasBlobFile(const std::string& digest) const {
    return std::filesystem::exists(blobs_.store.BlobPath(digest));
  }

  bool LayerAvailable(const std::string& digest, const std::string& repository = "app") {
    const json out = EcrOk("BatchCheckLayerAvailability",
                           {{"repositoryName", repository}, {"layerDigests", {digest}}});
    return out.value("layers", json::array()).size() == 1;
  }

  json Delete(const json& ids, const std::string& repository = "app") {
    return EcrOk("BatchDeleteImage", {{"repositoryName", repository}, {"imageIds", ids}});
  }

  static std::string Entry(const std::string& digest, const std::string& tag = "") {
    return tag.empty() ? digest : digest + " " + tag;
  }

  storage::Partition Registry() const { return {kAccount, "us-east-1"}; }
};

}  // namespace berth::testing
