from tipkg.cli import console

console()
