// The llmperforacle executable: everything lives in the libraries; this only forwards argv.
#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
  const llmpo::Args args(argv + 1, argv + argc);
  return llmpo::run_cli(args, std::cout, std::cerr);
}
