# Post-build step of llmperforacle (see CMakeLists.txt): runs BINARY to write
#   SHARE_DIR/bash-completion/completions/llmperforacle   (`llmperforacle completion bash`)
#   SHARE_DIR/man/man1/llmperforacle.1                     (`llmperforacle man`)
# A script rather than shell redirection in add_custom_command, so no shell is assumed.
foreach(doc "bash-completion/completions/llmperforacle;completion;bash" "man/man1/llmperforacle.1;man")
  list(POP_FRONT doc path)
  get_filename_component(dir ${SHARE_DIR}/${path} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  execute_process(COMMAND ${BINARY} ${doc} OUTPUT_FILE ${SHARE_DIR}/${path}.tmp RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "`${BINARY} ${doc}` failed (${rc})")
  endif()
  # Rename, so an interrupted build never leaves half a file where the shell or man reads it.
  file(RENAME ${SHARE_DIR}/${path}.tmp ${SHARE_DIR}/${path})
endforeach()
