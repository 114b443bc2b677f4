// Start-up failures of the store. They are exceptions because they end start-up with one clear line
// (DESIGN: exceptions carry errors at start-up, never out of a request handler).
#pragma once

#include <stdexcept>

namespace jit::broker {

// The database file is from a newer schema, or its schema is damaged.
class SchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database cannot be opened, created or locked.
class StoreOpenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace jit::broker
