# Decoding image files: storectl decode against the reference ZXingReader on
# QR codes rendered by real tools (qrencode, ImageMagick); see decode-files.sh.
# camera_test links ZXing::ZXing, whose imported target is scoped to the
# directory that found it (drivers/): find it here too.
find_package(ZXing REQUIRED)

add_test(NAME decode_files
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/decode-files.sh $<TARGET_FILE:storectl>)
set_tests_properties(decode_files PROPERTIES LABELS host_only)  # runs storectl directly
