# Read by CTest after the GoogleTest binaries have listed their tests. A clean build folder has no
# recorded test times, so CTest would start these in declaration order, and the one-minute access
# flow (it waits for a real grant to expire and for the next TOTP step) would start near the end
# and run alone while the other core idles. A high COST makes `ctest -j` start the long ones first.
# (A name that no longer exists is ignored.)
set_tests_properties(broker.it.AccessFlowTest.FromRequestToSshLoginAndBackOut
                     broker.it.CrashSafetyTest.AcknowledgedWritesSurviveKill9UnderLoad
                     PROPERTIES COST 1000)
