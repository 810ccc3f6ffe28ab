from handrail.entry import main

main()
