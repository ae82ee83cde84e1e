// The talk's three binsearch signatures. Kept in their own translation unit (the talk had them
// in its header) so that at -O3 the compiler cannot see that a search is pure and drop or hoist
// the talk's repeated calls out of its loop: both builds time LOOPS real searches.
#include "binarysearch.hpp"

namespace talk {

int binsearch_by_value(std::vector<int> my_list, int value, int low, int high) {
  if (high >= low) {
    int mid = (low + high) / 2;
    if (my_list[mid] == value) {
      return mid;
    } else if (my_list[mid] > value) {
      return binsearch_by_value(my_list, value, low, mid - 1);
    } else {
      return binsearch_by_value(my_list, value, mid + 1, high);
    }
  } else {
    return -1;
  }
}

int binsearch_by_reference(std::vector<int>& my_list, int value, int low, int high) {
  if (high >= low) {
    int mid = (low + high) / 2;
    if (my_list[mid] == value) {
      return mid;
    } else if (my_list[mid] > value) {
      return binsearch_by_reference(my_list, value, low, mid - 1);
    } else {
      return binsearch_by_reference(my_list, value, mid + 1, high);
    }
  } else {
    return -1;
  }
}

int binsearch_by_pointer(std::vector<int>* my_list, int value, int low, int high) {
  if (high >= low) {
    int mid = (low + high) / 2;
    if ((*my_list)[mid] == value) {
      return mid;
    } else if ((*my_list)[mid] > value) {
      return binsearch_by_pointer(my_list, value, low, mid - 1);
    } else {
      return binsearch_by_pointer(my_list, value, mid + 1, high);
    }
  } else {
    return -1;
  }
}

}  // namespace talk
