#include <grin/cli/app.hpp>

int main(int argc, char** argv) {
    return grin::cli::run(argc, argv);
}
