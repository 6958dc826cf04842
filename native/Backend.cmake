# Maps SDJ_BACKEND onto stable-diffusion.cpp's own backend options.
if(SDJ_BACKEND STREQUAL "cpu")
elseif(SDJ_BACKEND STREQUAL "vulkan")
  # ggml-vulkan needs headers with VK_EXT_layer_settings (vk::LayerSettingEXT); Debian 12's 1.3.239
  # lack it and would fail deep inside ggml-vulkan.cpp. Order: -DSDJ_VULKAN_INCLUDE_DIR, the
  # system's headers if new enough, else Debian 13's fetched into a cache by native/vulkan-headers.sh.
  find_program(SDJ_GLSLC glslc)
  find_library(SDJ_LIBVULKAN vulkan)
  if(NOT SDJ_GLSLC OR NOT SDJ_LIBVULKAN)
    message(FATAL_ERROR "sdjava: SDJ_BACKEND=vulkan needs the Vulkan loader and glslc "
      "(found loader: '${SDJ_LIBVULKAN}', glslc: '${SDJ_GLSLC}'). On Debian/Ubuntu: apt-get install libvulkan-dev glslc")
  endif()
  set(_vk_inc "${SDJ_VULKAN_INCLUDE_DIR}")
  if(NOT _vk_inc)
    find_path(SDJ_SYSTEM_VULKAN_INCLUDE vulkan/vulkan_core.h)
    set(_vk_inc "${SDJ_SYSTEM_VULKAN_INCLUDE}")
    if(_vk_inc)
      file(STRINGS "${_vk_inc}/vulkan/vulkan_core.h" _vk_has_settings REGEX "VkLayerSettingEXT" LIMIT_COUNT 1)
      if(NOT _vk_has_settings)
        message(STATUS "sdjava: ${_vk_inc}/vulkan is too old for ggml-vulkan (no VkLayerSettingEXT); using native/vulkan-headers.sh")
        set(_vk_inc "")
      endif()
    endif()
    if(NOT _vk_inc)
      execute_process(COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/vulkan-headers.sh"
        OUTPUT_VARIABLE _vk_inc OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
      if(NOT _rc EQUAL 0)
        message(FATAL_ERROR "sdjava: could not fetch Vulkan headers new enough for ggml-vulkan (native/vulkan-headers.sh failed). "
          "Pass -DSDJ_VULKAN_INCLUDE_DIR=<dir with vulkan/vulkan.hpp> (Maven: -Dsdj.vulkan.include=<dir>).")
      endif()
    endif()
  endif()
  if(NOT EXISTS "${_vk_inc}/vulkan/vulkan.hpp")
    message(FATAL_ERROR "sdjava: ${_vk_inc} has no vulkan/vulkan.hpp")
  endif()
  file(STRINGS "${_vk_inc}/vulkan/vulkan_core.h" _vk_has_settings REGEX "VkLayerSettingEXT" LIMIT_COUNT 1)
  if(NOT _vk_has_settings)
    message(FATAL_ERROR "sdjava: the Vulkan headers in ${_vk_inc} are too old for ggml-vulkan (no VkLayerSettingEXT); "
      "leave SDJ_VULKAN_INCLUDE_DIR empty to fetch Debian 13's, or name newer ones.")
  endif()
  file(STRINGS "${_vk_inc}/vulkan/vulkan_core.h" _vk_ver REGEX "^#define VK_HEADER_VERSION ")
  string(REGEX REPLACE ".* " "" _vk_ver "${_vk_ver}")
  message(STATUS "sdjava: Vulkan headers ${_vk_inc} (VK_HEADER_VERSION ${_vk_ver}), loader ${SDJ_LIBVULKAN}, ${SDJ_GLSLC}")
  # Read by ggml-vulkan's find_package(Vulkan).
  set(Vulkan_INCLUDE_DIR "${_vk_inc}" CACHE PATH "" FORCE)
  set(Vulkan_LIBRARY "${SDJ_LIBVULKAN}" CACHE FILEPATH "" FORCE)
  set(Vulkan_GLSLC_EXECUTABLE "${SDJ_GLSLC}" CACHE FILEPATH "" FORCE)
  set(SD_VULKAN ON CACHE BOOL "" FORCE)
elseif(SDJ_BACKEND STREQUAL "cuda")
  # The toolkit, in this order: -DCUDAToolkit_ROOT, an nvcc on PATH (or -DCMAKE_CUDA_COMPILER), else
  # CUDA 13.0 assembled from NVIDIA's PyPI wheels into a cache by native/cuda-toolkit.sh.
  if(NOT CUDAToolkit_ROOT AND NOT CMAKE_CUDA_COMPILER)
    find_program(SDJ_NVCC nvcc)
    if(SDJ_NVCC)
      set(CMAKE_CUDA_COMPILER "${SDJ_NVCC}")
    else()
      execute_process(COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/cuda-toolkit.sh"
        OUTPUT_VARIABLE _cuda_root OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
      if(NOT _rc EQUAL 0)
        message(FATAL_ERROR "sdjava: no nvcc was found, and native/cuda-toolkit.sh could not fetch the CUDA toolkit "
          "from PyPI. Install a CUDA 13 toolkit and pass -DCUDAToolkit_ROOT=<dir> (Maven: -Dsdj.cuda.root=<dir>), "
          "or build with SDJ_BACKEND=cpu or vulkan.")
      endif()
      set(CUDAToolkit_ROOT "${_cuda_root}" CACHE PATH "" FORCE)
    endif()
  endif()
  if(CUDAToolkit_ROOT AND NOT CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_COMPILER "${CUDAToolkit_ROOT}/bin/nvcc")
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    message(FATAL_ERROR "sdjava: SDJ_BACKEND=cuda: ${CMAKE_CUDA_COMPILER} does not compile CUDA. "
      "Pass -DCUDAToolkit_ROOT=<a CUDA 13 toolkit> (Maven: -Dsdj.cuda.root=<dir>), or build with SDJ_BACKEND=cpu or vulkan.")
  endif()
  # Empty counts as unset: Maven passes -DCMAKE_CUDA_ARCHITECTURES=${sdj.cuda.archs}, empty by default.
  if(NOT CMAKE_CUDA_ARCHITECTURES)
    # Turing (RTX 20), Ampere (RTX 30), Ada (RTX 40), Hopper (H100/H200), Blackwell (RTX 50) as
    # machine code, plus Turing's PTX so that later GPUs can JIT it. Each one adds to the compile
    # time (README, CUDA); -DCMAKE_CUDA_ARCHITECTURES=... (Maven: -Dsdj.cuda.archs=...) picks others.
    set(CMAKE_CUDA_ARCHITECTURES 75 86-real 89-real 90-real 120a-real)
  endif()
  set(SD_CUDA ON CACHE BOOL "" FORCE)
elseif(SDJ_BACKEND STREQUAL "metal")
  if(NOT APPLE)
    message(FATAL_ERROR "sdjava: SDJ_BACKEND=metal builds only on macOS (Apple Silicon).")
  endif()
  set(SD_METAL ON CACHE BOOL "" FORCE)
else()
  message(FATAL_ERROR "sdjava: unknown SDJ_BACKEND '${SDJ_BACKEND}' (cpu, vulkan, cuda or metal)")
endif()
