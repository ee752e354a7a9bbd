// `grin auth setup`: sign in once; writes credentials.json (0600) for every later command.
#include <grin/auth/setup.hpp>
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>

namespace grin::cli {
namespace asio = boost::asio;

namespace {

struct auth_setup_options {
    std::string secrets_dir;
    std::string code;
    std::string ca_file;
    bool remote_auth = false;
};

int run_auth_setup(const auth_setup_options& options) {
    auto dir = options.secrets_dir.empty() ? auth::credentials_dir()
                                           : std::filesystem::path(options.secrets_dir);
    auto secret = auth::load_client_secret(dir);
    std::string code = options.code;
    if (code.empty()) {
        std::cout << "Open this URL in a browser, sign in with the Google account that has "
                     "GRIN access, and allow access:\n\n  "
                  << auth::consent_url(secret)
                  << "\n\nThen paste the code shown here: " << std::flush;
        std::getline(std::cin, code);
        while (!code.empty() && std::isspace(static_cast<unsigned char>(code.back())))
            code.pop_back();
        if (code.empty())
            throw fatal("no authorization code given");
    }
    asio::io_context io;
    net::pool_params params;
    params.tls.ca_file = options.ca_file;
    net::https_pool pool(io.get_executor(), params);
    auto exchange = auth::exchange_code(pool, secret, code);
    auto result = asio::co_spawn(io, std::move(exchange), asio::use_future);
    io.run();
    auto credentials = result.get();
    auto target =
        options.secrets_dir.empty() ? auth::writable_credentials_path() : dir / "credentials.json";
    auth::save_credentials(target, credentials);
    std::cout << "Credentials saved to " << target.string() << " (mode 0600)" << std::endl;
    return 0;
}

} // namespace

void add_auth(CLI::App& app, command_list& commands) {
    auto* auth_cmd = app.add_subcommand("auth", "Sign in to GRIN");
    auth_cmd->require_subcommand(1);
    auto options = std::make_shared<auth_setup_options>();
    auto* setup = auth_cmd->add_subcommand(
        "setup",
        "Sign in with Google and save credentials.json. Needs client_secret.json (the OAuth "
        "'Desktop app' client from the Google Cloud console) in the credentials directory. "
        "Prints a URL to open in any browser, then reads the code you paste.");
    setup->footer("Examples:\n"
                  "  grin auth setup\n"
                  "  GRIN_CREDENTIALS_DIR=/srv/grin/secrets grin auth setup\n"
                  "\nExit codes: 0 signed in, 1 the sign-in failed, 2 usage error or missing "
                  "client_secret.json.");
    setup->add_option("--secrets-dir", options->secrets_dir,
                      "Directory with client_secret.json (default $GRIN_CREDENTIALS_DIR or "
                      "~/.config/grin-transfer)");
    setup->add_option("--code", options->code, "The authorization code (instead of pasting it)");
    setup->add_option("--ca-file", options->ca_file, "Extra CA certificate to trust (emulator)")
        ->check(CLI::ExistingFile);
    setup->add_flag("--remote-auth", options->remote_auth,
                    "Accepted for grin-transfer compatibility: the paste flow is always used");
    commands.push_back({setup, [options] { return run_auth_setup(*options); }});
}

} // namespace grin::cli
