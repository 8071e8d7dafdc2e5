from channeldesk.cli import main

main()
