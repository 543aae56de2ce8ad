from counterpoint.cli.main import app

app()
