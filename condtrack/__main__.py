from condtrack.cli import main

main()
