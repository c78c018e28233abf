from ntmcert.cli.main import main

main()
