print("pccc-bench: not yet")
