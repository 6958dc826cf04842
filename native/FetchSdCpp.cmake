# Fetches the pinned stable-diffusion.cpp tree from the PyPI sdist of
# stable-diffusion-cpp-python (pip download), checks its sha256 and unpacks it.
# In:  SDCPP_PYPI_VERSION, SDCPP_PYPI_SHA256 (from native/sdcpp.pin)
# Out: SD_CPP_SOURCE_DIR (the vendored upstream tree, with native/patches/ applied)
#
# The verified sdist is kept in a content-addressed download cache
# (~/.cache/sdjava/sdist by default) so a second build needs no network;
# the cache holds only what matched the pinned sha256.

set(SDJ_DOWNLOAD_CACHE "$ENV{HOME}/.cache/sdjava/sdist" CACHE PATH "Where verified sd.cpp sdists are kept")
set(_name "stable_diffusion_cpp_python-${SDCPP_PYPI_VERSION}")
set(_tarball "${SDJ_DOWNLOAD_CACHE}/${SDCPP_PYPI_SHA256}/${_name}.tar.gz")
set(_unpacked "${CMAKE_BINARY_DIR}/sdcpp-src/${_name}")

if(NOT EXISTS "${_tarball}")
  find_package(Python3 COMPONENTS Interpreter REQUIRED)
  set(_dl "${CMAKE_BINARY_DIR}/sdcpp-download")
  file(REMOVE_RECURSE "${_dl}")
  message(STATUS "sdjava: downloading stable-diffusion-cpp-python==${SDCPP_PYPI_VERSION} (sdist) with pip")
  execute_process(
    COMMAND "${Python3_EXECUTABLE}" -m pip download --no-deps --no-binary :all:
            --disable-pip-version-check -q -d "${_dl}"
            "stable-diffusion-cpp-python==${SDCPP_PYPI_VERSION}"
    RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0 OR NOT EXISTS "${_dl}/${_name}.tar.gz")
    message(FATAL_ERROR "sdjava: pip download of stable-diffusion-cpp-python==${SDCPP_PYPI_VERSION} failed (${_rc}). "
      "Check network access to PyPI, or build from a local tree with -DSD_CPP_SOURCE_DIR=<dir> (Maven: -Dsd.cpp.source=<dir>).")
  endif()
  file(SHA256 "${_dl}/${_name}.tar.gz" _got)
  if(NOT _got STREQUAL SDCPP_PYPI_SHA256)
    message(FATAL_ERROR "sdjava: sha256 mismatch for ${_name}.tar.gz\n  expected ${SDCPP_PYPI_SHA256}\n  got      ${_got}\n"
      "The file on PyPI is not the one pinned in native/sdcpp.pin.")
  endif()
  file(MAKE_DIRECTORY "${SDJ_DOWNLOAD_CACHE}/${SDCPP_PYPI_SHA256}")
  file(RENAME "${_dl}/${_name}.tar.gz" "${_tarball}")
endif()

# Re-verify what comes out of the cache: it is outside the build tree.
file(SHA256 "${_tarball}" _got)
if(NOT _got STREQUAL SDCPP_PYPI_SHA256)
  message(FATAL_ERROR "sdjava: cached ${_tarball} does not match the pinned sha256; delete it and rebuild.")
endif()

# The tree is unpacked and patched (native/Patches.cmake) when it is missing; the stamp says which
# patch set it holds. When the patch set changes, a fresh patched copy is made beside it and only the
# files that differ are copied over (and files gone are removed), so the build recompiles what the
# patches touch, not the whole tree (a CUDA build takes an hour from scratch on 2 cores).
set(_tree "${_unpacked}/vendor/stable-diffusion.cpp")
set(_stamp "${CMAKE_BINARY_DIR}/sdcpp-src/sdjava-patches.sha256")
include("${CMAKE_CURRENT_LIST_DIR}/Patches.cmake")
set(_have "")
if(EXISTS "${_stamp}")
  file(STRINGS "${_stamp}" _have LIMIT_COUNT 1)
endif()
if(NOT EXISTS "${_tree}/include/stable-diffusion.h")
  file(REMOVE_RECURSE "${CMAKE_BINARY_DIR}/sdcpp-src")
  file(ARCHIVE_EXTRACT INPUT "${_tarball}" DESTINATION "${CMAKE_BINARY_DIR}/sdcpp-src")
  sdj_patch_pinned_tree("${_tree}" "${_stamp}")
elseif(NOT _have STREQUAL SDJ_PATCHES_KEY)
  set(_next "${CMAKE_BINARY_DIR}/sdcpp-src.next")
  file(REMOVE_RECURSE "${_next}")
  file(ARCHIVE_EXTRACT INPUT "${_tarball}" DESTINATION "${_next}")
  string(REPLACE "${CMAKE_BINARY_DIR}/sdcpp-src" "${_next}" _next_tree "${_tree}")
  sdj_patch_pinned_tree("${_next_tree}" "${_next}/sdjava-patches.sha256")
  file(GLOB_RECURSE _new_files RELATIVE "${_next_tree}" "${_next_tree}/*")
  file(GLOB_RECURSE _old_files RELATIVE "${_tree}" "${_tree}/*")
  set(_changed 0)
  foreach(_f IN LISTS _new_files)
    file(SHA256 "${_next_tree}/${_f}" _a)
    set(_b "")
    if(EXISTS "${_tree}/${_f}")
      file(SHA256 "${_tree}/${_f}" _b)
    endif()
    if(NOT _a STREQUAL _b)
      get_filename_component(_dir "${_tree}/${_f}" DIRECTORY)
      file(COPY "${_next_tree}/${_f}" DESTINATION "${_dir}")
      math(EXPR _changed "${_changed} + 1")
    endif()
  endforeach()
  list(REMOVE_ITEM _old_files ${_new_files})
  foreach(_f IN LISTS _old_files)
    file(REMOVE "${_tree}/${_f}")
    math(EXPR _changed "${_changed} + 1")
  endforeach()
  file(RENAME "${_next}/sdjava-patches.sha256" "${_stamp}")
  file(REMOVE_RECURSE "${_next}")
  message(STATUS "sdjava: patch set changed; ${_changed} file(s) of the pinned tree updated in place")
endif()
set(SD_CPP_SOURCE_DIR "${_tree}")
