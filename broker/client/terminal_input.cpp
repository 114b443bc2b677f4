#include "broker/client/terminal_input.hpp"

#include <termios.h>
#include <unistd.h>

#include <istream>
#include <ostream>

namespace jit::broker {

std::string read_secret_line(const std::string& prompt, std::istream& in, std::ostream& err) {
  err << prompt << std::flush;
  termios saved{};
  const bool tty = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(in, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    err << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace jit::broker
