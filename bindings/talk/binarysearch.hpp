// The talk's C++ binary search (SegmentationFault Fest, PyConES 2022) in its three signatures,
// as the talk wrote them: 32-bit int, recursive. A subject of study: no engine uses it.
#pragma once

#include <vector>

namespace talk {

// Stage 1: by value. Every call copies the vector, and every recursion level copies it again.
int binsearch_by_value(std::vector<int> my_list, int value, int low, int high);

// Stage 2: by reference. No copy in C++; Cython still converts the list on every call.
int binsearch_by_reference(std::vector<int>& my_list, int value, int low, int high);

// Stage 3: by pointer. The caller converts the list once and searches LOOPS times.
int binsearch_by_pointer(std::vector<int>* my_list, int value, int low, int high);

}  // namespace talk
