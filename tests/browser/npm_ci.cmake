# Installs the browser tests' npm packages (playwright-core, pinned in
# package-lock.json) into DIR with `npm ci`, unless the locked version is
# already there. Run by the browser_npm_ci CTest fixture.
#   cmake -DNPM=/usr/bin/npm -DDIR=<build>/tests/browser -P npm_ci.cmake
file(READ "${DIR}/package-lock.json" lock)
string(JSON want GET "${lock}" packages node_modules/playwright-core version)
set(have "")
if(EXISTS "${DIR}/node_modules/playwright-core/package.json")
  file(READ "${DIR}/node_modules/playwright-core/package.json" pkg)
  string(JSON have GET "${pkg}" version)
endif()
if(have STREQUAL want)
  message(STATUS "playwright-core ${have} already installed in ${DIR}/node_modules")
  return()
endif()
execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --prefix "${DIR}"
                WORKING_DIRECTORY "${DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed (${rc}): the browser tests need playwright-core ${want} from npm")
endif()
