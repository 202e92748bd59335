# machi_add_plugin(<target> SOURCES <file>... [LIBRARIES <lib>...])
#
# Builds a Machi plugin: a MODULE library <target>.so with hidden visibility and a linker version
# script, so `machi_plugin_negotiate` is its only exported symbol; links the SDK; refuses
# undefined symbols at link time (-z defs) so a missing library fails the build, not the load.

function(machi_add_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES;LIBRARIES")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "machi_add_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE Machi::sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED MACHI_PLUGIN_OUTPUT_DIR)  # in-tree: every plugin lands in one folder
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${MACHI_PLUGIN_OUTPUT_DIR}")
  endif()
  set(map "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/machi_plugin.map")
  target_link_options(${target} PRIVATE "LINKER:--version-script=${map}")
  if(NOT MACHI_PLUGIN_ALLOW_UNDEFINED)  # set only by the runtime's clang sanitizer builds
    target_link_options(${target} PRIVATE "LINKER:-z,defs")
  endif()
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${map}")
endfunction()

# machi_plugin_assets(<target> <dir>)
#
# Embeds every file under <dir> (a plugin's screens: HTML, classic scripts, styles, images) into
# the plugin, so the .so is all a municipality deploys. The plugin serves them with
# machi::sdk::serve_asset (machi/sdk/assets.h), usually under /ui/. The SDK's bridge helper and
# base style come with them as "machi-screen.js" and "machi-screen.css". Regenerated when a file changes; a file with an unknown
# extension fails the build.
function(machi_plugin_assets target dir)
  get_filename_component(dir "${dir}" ABSOLUTE)
  file(GLOB_RECURSE files CONFIGURE_DEPENDS "${dir}/*")
  set(output "${CMAKE_CURRENT_BINARY_DIR}/${target}_assets.cc")
  add_custom_command(OUTPUT "${output}"
    COMMAND ${CMAKE_COMMAND} -DDIR=${dir} -DOUTPUT=${output}
            -DSDK_DIR=${CMAKE_CURRENT_FUNCTION_LIST_DIR}/ui
            -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/MachiEmbedAssets.cmake"
    DEPENDS ${files} "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/MachiEmbedAssets.cmake"
            "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/ui/machi-screen.js" "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/ui/machi-screen.css"
    COMMENT "Embedding ${target}'s screens from ${dir}"
    VERBATIM)
  target_sources(${target} PRIVATE "${output}")
endfunction()
