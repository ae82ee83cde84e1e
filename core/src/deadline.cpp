#include "peaje/deadline.hpp"

#include "peaje/error.hpp"

namespace peaje {

void Deadline::check() const {
  if (expired()) throw deadline_exceeded("deadline exceeded before the work was done");
}

}  // namespace peaje
