# Read by CTest after the GoogleTest binaries have listed their tests. A clean build folder has no
# recorded test times, so CTest would start these in declaration order, and the one-minute access
# flow (it waits for a real grant to expire and for the next TOTP step) would start near the end
# and run alone while the other core idles. A high COST makes `ctest -j` start the long ones first.
foreach(long_test IN ITEMS broker.it.AccessFlowTest.FromRequestToSshLoginAndBackOut
                           broker.it.CrashSafetyTest.AcknowledgedWritesSurviveKill9UnderLoad)
  if(TEST ${long_test})
    set_tests_properties(${long_test} PROPERTIES COST 1000)
  endif()
endforeach()
