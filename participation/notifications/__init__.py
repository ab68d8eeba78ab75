"""In-app and e-mail notifications of what happens to the things people care about."""
