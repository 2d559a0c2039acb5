# Every dependency comes from a Debian package, found through its CMake config
# or pkg-config. Nothing is vendored or downloaded. toolchains/install-deps.sh
# installs them.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 2 REQUIRED)
find_package(MbedTLS REQUIRED)
