// The pause image archive: the embedded program, the ustar encoding (parsed
// back with a strict reader that checks every header checksum), the
// manifest and config Docker reads, determinism, and EnsurePauseImage's calls.

#include "docker_backend/pause_image.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/util/crypto.h"
#include "tests/fakes/fake_docker.h"
#include "tests/fakes/ustar_reader.h"

namespace berth::docker {
namespace {

using berth::testing::FakeDocker;
using berth::testing::FindEntry;
using berth::testing::ReadUstar;
using berth::testing::TarEntry;
using nlohmann::json;
using ::testing::ElementsAre;

TEST(PauseImageTest, EmbedsAStaticElfForTheHostArchitecture) {
  const std::string_view binary = PauseBinary();
  ASSERT_GT(binary.size(), 64u);
  EXPECT_LT(binary.size(), 64u * 1024) << "the pause program should stay tiny";
  EXPECT_EQ(binary.substr(0, 4), std::string_view("\x7f"
                                                  "ELF",
                                                  4));
  EXPECT_EQ(binary[4], 2) << "ELFCLASS64";
  EXPECT_EQ(binary[5], 1) << "little-endian";
  // e_type ET_EXEC (2): static and position-dependent, so no interpreter.
  EXPECT_EQ(binary[16], 2);
  const auto machine = static_cast<unsigned char>(binary[18]);
  if (std::string(HostArchitecture()) == "amd64") {
    EXPECT_EQ(machine, 62) << "EM_X86_64";
  } else {
    EXPECT_EQ(machine, 183) << "EM_AARCH64";
  }
  EXPECT_EQ(binary.find("/lib64/ld-linux"), std::string_view::npos);
  EXPECT_EQ(binary.find("/lib/ld-linux"), std::string_view::npos);
}

TEST(PauseImageTest, ArchiveHoldsManifestConfigAndLayerAsValidUstar) {
  // Given the default archive
  const std::string tar = PauseImageTar();
  // Then it is whole 512-byte blocks that parse with correct checksums
  ASSERT_EQ(tar.size() % 512, 0u);
  const std::vector<TarEntry> entries = ReadUstar(tar);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "manifest.json");
  EXPECT_EQ(entries[1].name, "config.json");
  EXPECT_EQ(entries[2].name, "layer.tar");
  for (const TarEntry& entry : entries) {
    EXPECT_EQ(entry.type, '0') << entry.name;
    EXPECT_EQ(entry.mode, 0644u) << entry.name;
    EXPECT_EQ(entry.uid, 0u);
    EXPECT_EQ(entry.gid, 0u);
    EXPECT_EQ(entry.mtime, static_cast<std::uint64_t>(kPauseImageCreatedEpoch));
  }
  // And the layer is itself a tar holding the program as "pause", mode 0755
  const std::vector<TarEntry> layer = ReadUstar(entries[2].data);
  ASSERT_EQ(layer.size(), 1u);
  EXPECT_EQ(layer[0].name, "pause");
  EXPECT_EQ(layer[0].type, '0');
  EXPECT_EQ(layer[0].mode, 0755u);
  EXPECT_EQ(layer[0].data.size(), PauseBinary().size());
  EXPECT_EQ(layer[0].data, PauseBinary());
}

TEST(PauseImageTest, ManifestAndConfigAreWhatDockerLoads) {
  const std::vector<TarEntry> entries = ReadUstar(PauseImageTar());
  const json manifest = json::parse(FindEntry(entries, "manifest.json")->data);
  EXPECT_EQ(manifest, json::parse(R"([{"Config":"config.json","RepoTags":["berth/pause:1.2"],
                                      "Layers":["layer.tar"]}])"));
  EXPECT_EQ(manifest[0]["RepoTags"][0], kPauseImage);

  const json config = json::parse(FindEntry(entries, "config.json")->data);
  EXPECT_EQ(config["architecture"], HostArchitecture());
  EXPECT_EQ(config["os"], "linux");
  EXPECT_EQ(config["created"], kPauseImageCreated);
  EXPECT_EQ(config["config"]["Entrypoint"], json::array({"/pause"}));
  EXPECT_EQ(config["config"]["Labels"], json({{"berth.managed", "1"}}));
  EXPECT_EQ(config["rootfs"]["type"], "layers");
  // The diff_id is the sha256 of the (uncompressed) layer.tar bytes.
  const std::string layer_sha = crypto::Sha256Hex(FindEntry(entries, "layer.tar")->data);
  EXPECT_EQ(config["rootfs"]["diff_ids"], json::array({"sha256:" + layer_sha}));
}

TEST(PauseImageTest, ArchiveIsDeterministic) {
  EXPECT_EQ(PauseImageTar(), PauseImageTar());
  EXPECT_EQ(PauseImageTar("x/y:1", {{"a", "b"}}), PauseImageTar("x/y:1", {{"a", "b"}}));
  EXPECT_NE(PauseImageTar("x/y:1"), PauseImageTar("x/y:2"));
}

TEST(PauseImageTest, TagAndExtraLabelsAreApplied) {
  const std::vector<TarEntry> entries = ReadUstar(
      PauseImageTar("berth-test/pause:t1", {{"berth.test", "1"}, {"berth.managed", "0"}}));
  const json manifest = json::parse(FindEntry(entries, "manifest.json")->data);
  EXPECT_EQ(manifest[0]["RepoTags"], json::array({"berth-test/pause:t1"}));
  const json config = json::parse(FindEntry(entries, "config.json")->data);
  // berth.managed is always "1".
  EXPECT_EQ(config["config"]["Labels"], json({{"berth.managed", "1"}, {"berth.test", "1"}}));
}

TEST(PauseImageTest, TheFakeDaemonAcceptsTheArchive) {
  FakeDocker fake;
  fake.LoadImage(PauseImageTar());
  EXPECT_TRUE(fake.ImageExists(kPauseImage));
}

TEST(PauseImageTest, EnsurePauseImageLoadsOnlyWhenMissing) {
  // Given a daemon without the image
  FakeDocker fake;
  // When Berth ensures it twice
  EnsurePauseImage(fake);
  EnsurePauseImage(fake);
  // Then it was loaded once, and found the second time
  EXPECT_THAT(fake.CallStrings(),
              ElementsAre("ImageExists(berth/pause:1.2)", "LoadImage(berth/pause:1.2)",
                          "ImageExists(berth/pause:1.2)"));
}

TEST(PauseImageTest, EnsurePauseImagePassesDaemonErrorsOn) {
  FakeDocker fake;
  fake.FailNext("LoadImage", DockerError(500, "no space left on device"));
  EXPECT_THROW(EnsurePauseImage(fake), DockerError);
  fake.SetUnreachable(true);
  try {
    EnsurePauseImage(fake);
    ADD_FAILURE() << "no error";
  } catch (const DockerError& e) {
    EXPECT_TRUE(e.unreachable());
  }
}

}  // namespace
}  // namespace berth::docker
