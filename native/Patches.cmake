# sdjava's patches on the sd.cpp tree (native/patches/*.patch, applied in name order).
#
#   sdj_patch_pinned_tree(<tree> <stamp>)  the unpacked pinned tree: applies every patch once; the
#                                           stamp records which patch set is in (a changed set
#                                           means the caller patches a fresh copy and syncs it)
#   sdj_check_local_tree(<tree>)            a user's -DSD_CPP_SOURCE_DIR tree: never modified;
#                                           stops unless every patch is already in it
#
# git apply is used as a plain patch tool (no fuzz, all-or-nothing): a patch that does not apply
# stops the build with the file names, instead of building an unpatched library whose bindings
# then lack sd_cancel_generation.
file(GLOB SDJ_PATCHES "${CMAKE_CURRENT_LIST_DIR}/patches/*.patch")
list(SORT SDJ_PATCHES)
set(SDJ_PATCHES_KEY "")
foreach(_p IN LISTS SDJ_PATCHES)
  file(SHA256 "${_p}" _h)
  string(APPEND SDJ_PATCHES_KEY "${_h}")
endforeach()
string(SHA256 SDJ_PATCHES_KEY "${SDJ_PATCHES_KEY}")
find_package(Git REQUIRED)

# Runs git apply in <tree> with <args>, with the tree's parent as git's ceiling, so that a tree
# unpacked inside another checkout (target/ of sdjava's own) is not taken as part of that repository.
function(_sdj_git_apply tree result)
  get_filename_component(_parent "${tree}" DIRECTORY)
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env "GIT_CEILING_DIRECTORIES=${_parent}"
            "${GIT_EXECUTABLE}" apply ${ARGN}
    WORKING_DIRECTORY "${tree}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  set(${result} "${_rc}" PARENT_SCOPE)
  set(${result}_OUTPUT "${_out}${_err}" PARENT_SCOPE)
endfunction()

function(sdj_patch_pinned_tree tree stamp)
  foreach(_p IN LISTS SDJ_PATCHES)
    get_filename_component(_name "${_p}" NAME)
    _sdj_git_apply("${tree}" _rc --whitespace=nowarn "${_p}")
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "sdjava: native/patches/${_name} does not apply to the pinned tree ${tree}:\n${_rc_OUTPUT}\n"
        "The patch was written for native/sdcpp.pin; after moving the pin, refresh or delete it "
        "(a patch that upstream now contains is deleted).")
    endif()
    message(STATUS "sdjava: applied native/patches/${_name}")
  endforeach()
  file(WRITE "${stamp}" "${SDJ_PATCHES_KEY}\n")
endfunction()

function(sdj_check_local_tree tree)
  foreach(_p IN LISTS SDJ_PATCHES)
    get_filename_component(_name "${_p}" NAME)
    _sdj_git_apply("${tree}" _rc --check --reverse "${_p}")
    if(_rc EQUAL 0)
      message(STATUS "sdjava: local tree has native/patches/${_name}")
      continue()
    endif()
    _sdj_git_apply("${tree}" _fwd --check "${_p}")
    if(_fwd EQUAL 0)
      message(FATAL_ERROR "sdjava: the local tree ${tree} lacks native/patches/${_name} (sdjava's bindings need it). "
        "sdjava does not modify a local tree; apply it there with\n  git -C ${tree} apply ${_p}\nand configure again.")
    endif()
    message(FATAL_ERROR "sdjava: native/patches/${_name} neither applies to nor is contained in the local tree ${tree}:\n${_fwd_OUTPUT}\n"
      "If this tree is a newer upstream that has sd_cancel_generation, the upstream part of the patch is obsolete there; "
      "build from the pinned tree, or adapt the patch to this tree.")
  endforeach()
endfunction()
