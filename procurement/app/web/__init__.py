"""Server-rendered pages for officers and finance under /ui; they call the same services as the API."""
