#pragma once

// The build context of the small images integration tests run, made
// offline FROM scratch: /bin/busybox and /bin/sh (the shell runs every
// applet), /www/index.html = `page`, PATH=/bin, the labels berth.test=1 and
// berth.test.id=<test_id>, and as its command a SIGTERM-aware httpd on
// `port`. `docker build` it.

#include <filesystem>
#include <string>
#include <system_error>

#include "tests/support/text_files.h"

namespace berth::testing {

inline void WriteBusyboxImageContext(const std::filesystem::path& context,
                                     const std::string& test_id, const std::string& page,
                                     int port) {
  std::filesystem::create_directories(context / "bin");
  std::filesystem::create_directories(context / "www");
  std::filesystem::copy_file("/bin/busybox", context / "bin" / "busybox");
  std::error_code ec;
  std::filesystem::create_hard_link(context / "bin" / "busybox", context / "bin" / "sh", ec);
  if (ec) std::filesystem::copy_file(context / "bin" / "busybox", context / "bin" / "sh");
  WriteFile(context / "www" / "index.html", page);
  WriteFile(context / "Dockerfile", "FROM scratch\nLABEL berth.test=1 berth.test.id=" + test_id +
                                        "\nCOPY bin /bin\nCOPY www /www\nENV PATH=/bin\n"
                                        "CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p " +
                                        std::to_string(port) + " -h /www & wait\"]\n");
}

}  // namespace berth::testing
