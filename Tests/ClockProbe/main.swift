import Foundation

// Prints this process's wall clock in Unix milliseconds, sleeps 100 ms with Task.sleep (a
// Dispatch timer underneath), and prints "slept": what TestSupport's FakeClock checks before a
// test runs a node under libfaketime, so a broken setup fails with its cause, not a timeout.
print(UInt64(Date().timeIntervalSince1970 * 1000))
try await Task.sleep(nanoseconds: 100_000_000)
print("slept")
