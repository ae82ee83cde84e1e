# cython: language_level=3
"""The talk's BytesDict as its final code has it (branch feature/2022_pycones-solution): `ptr`
reset to NULL before each item. Right on the talk's input, but every key and value still
crosses as a `char*`, so bytes stop at their first NUL. Built -O0 -g, loaded only in a child
process (peaje.talk.segfault). Its bugs are the subject: do not fix them here.
"""

from cpython.bytes cimport PyBytes_AsString
from cpython.unicode cimport PyUnicode_AsEncodedString


cdef class BytesDict(object):
    cdef dict bytes_dict

    def __init__(self, dict strings_dict):
        self.bytes_dict = {}
        cdef char * ptr = NULL
        cdef char * bytes_key = NULL
        cdef char * bytes_value = NULL

        for k, v in strings_dict.items():
            k = self._string_to_bytes(k, &ptr)
            bytes_key = ptr
            v = self._string_to_bytes(v, &ptr)
            bytes_value = ptr
            self._update_dict(bytes_key, bytes_value)

    cdef _update_dict(self, char * bytes_key, char * bytes_value):
        self.bytes_dict.update({bytes_key: bytes_value})

    def __repr__(self):
        return str(self.bytes_dict)

    cdef object _string_to_bytes(self, object string, char ** ptr):
        ptr[0] = NULL
        if isinstance(string, bytes):
            ptr[0] = PyBytes_AsString(string)
        elif isinstance(string, str):
            if ptr[0] == NULL:
                string = PyUnicode_AsEncodedString(string, "utf-8", "surrogatepass")
                ptr[0] = PyBytes_AsString(string)
        return string
