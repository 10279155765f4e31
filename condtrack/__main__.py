from condtrack import main

main()
