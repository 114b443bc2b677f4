// jit: the engineer's command line for the broker. Thin: parse, dispatch, exit code.
#include "broker/cli/jit_commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"jit: request, approve and use just-in-time access"};
  app.require_subcommand(1);
  jit::broker::JitGlobalOptions global;
  app.add_option("--broker", global.broker_url,
                 "broker URL, e.g. https://localhost:8443 (remembered)");
  app.add_option("--ca-file", global.ca_file,
                 "CA certificate that signs the broker's TLS certificate (remembered)");

  jit::broker::LoginOptions login;
  auto* login_command = app.add_subcommand("login", "sign in with password and TOTP code");
  login_command->add_option("--user", login.user, "your user name")->required();
  login_command->add_flag("--password-stdin", login.password_stdin, "read the password from stdin");
  login_command->add_option("--totp", login.totp, "TOTP code (prompted for when absent)");
  auto* logout_command = app.add_subcommand("logout", "end the stored session");
  auto* whoami_command = app.add_subcommand("whoami", "show the signed-in user");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (login_command->parsed())
      return jit::broker::jit_login(global, login, std::cin, std::cout, std::cerr);
    if (logout_command->parsed()) return jit::broker::jit_logout(global, std::cout, std::cerr);
    if (whoami_command->parsed()) return jit::broker::jit_whoami(global, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "jit: " << e.what() << "\n";
    return 1;
  }
  return 1;
}
