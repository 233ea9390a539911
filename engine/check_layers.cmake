# The engine's layering, checked on every build (engine/CMakeLists.txt runs this script):
#
#   cmake -DENGINE_DIR=<engine> -DLAYERS="core;io;..." -DTORCH_FREE="core;io;..." -DSTAMP=<file> -P check_layers.cmake
#
# LAYERS lists the engine's folders from the bottom up: a file in one folder may include headers
# of its own folder and of the folders listed before it, never of one listed after it. A file in
# a TORCH_FREE folder may not include libtorch (<torch/...>, <ATen/...>, <c10/...>): those
# folders build without the precompiled torch header. Every violation is printed as
#
#   engine/prune/foo.cpp:12 includes config/bar.h: prune is below config
#
# and the build fails; STAMP is written only when there is none.
cmake_minimum_required(VERSION 3.22)

foreach(var ENGINE_DIR LAYERS TORCH_FREE STAMP)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_layers.cmake: -D${var}=... is required")
  endif()
endforeach()

# Known exceptions, "<file>:<included header>": existing includes that go against the order and
# are waiting for a decision. Keep this list empty; never add to it to make a build pass.
set(ALLOWED
  # gsm8k.cpp takes each problem's gold answer from its solution with prune::extract_gold.
  "data/gsm8k.cpp:prune/extract.h"
)

file(REMOVE "${STAMP}")
set(index 0)
foreach(layer IN LISTS LAYERS)
  set(rank_${layer} ${index})
  math(EXPR index "${index} + 1")
endforeach()

file(GLOB_RECURSE files RELATIVE "${ENGINE_DIR}" "${ENGINE_DIR}/*.h" "${ENGINE_DIR}/*.cpp")
list(SORT files)
set(problems "")
foreach(file IN LISTS files)
  string(REGEX MATCH "^[^/]+" folder "${file}")
  if(folder STREQUAL file)
    continue()  # engine/torch_pch.h and the like: not in a layer
  endif()
  if(NOT DEFINED rank_${folder})
    string(APPEND problems "engine/${file}: folder ${folder}/ is not in the layer order (engine/CMakeLists.txt)\n")
    continue()
  endif()
  list(FIND TORCH_FREE "${folder}" torch_free)

  # Each #include with its line number: walk the file one include at a time. (Reading it as a
  # CMake list of lines would split lines at every ';'.)
  # `line` is the line that `rest` starts in; the "\n" put in front makes line 1 match too.
  file(READ "${ENGINE_DIR}/${file}" rest)
  string(PREPEND rest "\n")
  set(line 0)
  while(TRUE)
    string(REGEX MATCH "\n[ \t]*#[ \t]*include[ \t]*([\"<])([^\">]+)[\">]" found "${rest}")
    if(NOT found)
      break()
    endif()
    set(kind "${CMAKE_MATCH_1}")
    set(header "${CMAKE_MATCH_2}")
    string(FIND "${rest}" "${found}" at)
    string(SUBSTRING "${rest}" 0 ${at} before)
    string(REGEX MATCHALL "\n" newlines "${before}")
    list(LENGTH newlines count)
    math(EXPR line "${line} + ${count} + 1")
    string(LENGTH "${found}" length)
    math(EXPR next "${at} + ${length}")
    string(SUBSTRING "${rest}" ${next} -1 rest)

    if(kind STREQUAL "<")
      if(torch_free GREATER_EQUAL 0 AND header MATCHES "^(torch|ATen|c10)/")
        string(APPEND problems "engine/${file}:${line} includes <${header}>: ${folder}/ is torch-free\n")
      endif()
      continue()
    endif()
    string(REGEX MATCH "^[^/]+" target "${header}")
    if(target STREQUAL header OR NOT DEFINED rank_${target})
      continue()  # not an engine folder's header
    endif()
    if(rank_${target} GREATER rank_${folder})
      list(FIND ALLOWED "${file}:${header}" allowed)
      if(allowed LESS 0)
        string(APPEND problems "engine/${file}:${line} includes ${header}: ${folder} is below ${target}\n")
      endif()
    endif()
  endwhile()
endforeach()

if(problems)
  # Printed as they are (a FATAL_ERROR message would re-wrap them), then the failure.
  message(NOTICE "${problems}")
  string(REPLACE ";" ", " order "${LAYERS}")
  message(FATAL_ERROR "The engine's layering is broken (see above). Each folder may include only itself and "
                      "the folders before it: ${order}.")
endif()
file(WRITE "${STAMP}" "engine layering checked\n")
