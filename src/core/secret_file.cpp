#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/secret_file.hpp>

#include <sys/stat.h>

namespace grin {

file_exposure exposure_of_mode(unsigned mode) {
    if (mode & S_IROTH)
        return file_exposure::world;
    if (mode & S_IRGRP)
        return file_exposure::group;
    return file_exposure::none;
}

file_exposure exposure_of(const std::filesystem::path& file) {
    struct stat status {};
    if (::stat(file.c_str(), &status) != 0)
        return file_exposure::none;
    return exposure_of_mode(status.st_mode);
}

namespace {

std::string shown_name(const secret_file& file) {
    return file.shown.empty() ? file.path.string() : file.shown;
}

std::string whom(file_exposure exposure) {
    return exposure == file_exposure::world ? "every user of this machine" : "its group";
}

} // namespace

std::string exposure_message(const secret_file& file, file_exposure exposure) {
    return shown_name(file) + " holds " + file.holds + " and is readable by " + whom(exposure) +
           "; make it private with: chmod 600 " + shown_name(file);
}

void check_secret_exposure(const secret_file& file, file_exposure exposure) {
    if (exposure == file_exposure::world) {
        std::string message = "refusing to use " + shown_name(file) + ": it holds " + file.holds +
                              " and is readable by " + whom(exposure) +
                              "; make it private with: chmod 600 " + shown_name(file);
        if (!file.rotate_hint.empty())
            message += " (and, if others could have read it, " + file.rotate_hint + ")";
        throw fatal(message);
    }
    if (exposure == file_exposure::group)
        log::warning(exposure_message(file, exposure));
}

void check_secret_file(const secret_file& file) {
    check_secret_exposure(file, exposure_of(file.path));
}

} // namespace grin
