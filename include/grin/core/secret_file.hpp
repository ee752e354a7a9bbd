#pragma once
// Who may read a file that holds a secret (OAuth tokens, the OAuth client secret, the
// archive passphrase, S3 keys): one policy for every such file (DESIGN section 6).
//   - readable by every user of the machine (o+r): refused with grin::fatal;
//   - readable by the file's group (g+r): used, with a warning;
// both messages name the file and the command that fixes it (`chmod 600 <file>`).
// Group access is tolerated because grin-transfer never checked, and a library may share
// one service account's files with its operations group; a file every local account can
// read is never acceptable. grin writes its own secret files with mode 0600.
#include <filesystem>
#include <string>
#include <string_view>

namespace grin {

enum class file_exposure { none, group, world };

// From permission bits (st_mode); exposed so a caller holding an fstat result avoids a
// second lookup of the path.
file_exposure exposure_of_mode(unsigned mode);
// From the file's mode, following symlinks; none when it cannot be stat'ed (the caller's
// own read then reports the problem).
file_exposure exposure_of(const std::filesystem::path& file);

// Members carry `{}` initializers so designated initializers may leave any out (g++).
struct secret_file {
    std::filesystem::path path{};
    std::string holds{}; // what a reader learns: "OAuth tokens", "the GPG passphrase"
    std::string shown{}; // how messages name the file; empty: path.string()
    // Appended to the refusal: what to do if someone already read it ("revoke ...").
    std::string rotate_hint{};
};

// "<file> holds <holds> and is readable by <whom>; make it private with: chmod 600 <file>"
std::string exposure_message(const secret_file& file, file_exposure exposure);

// Applies the policy to `exposure` (from exposure_of/exposure_of_mode): throws grin::fatal
// (exit code 2) for world, logs a warning for group, nothing for none.
void check_secret_exposure(const secret_file& file, file_exposure exposure);
// exposure_of(file.path), then the policy.
void check_secret_file(const secret_file& file);

} // namespace grin
