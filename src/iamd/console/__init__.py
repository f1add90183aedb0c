"""The web console: sign-in, pages and switch role, served by ``iamd serve`` at /console.

The console is one more client of iamd's API: every page reads and every form writes by
calling the same registered operation through the same request pipeline
(``server.pipeline.Pipeline.execute``) with the signed-in person's temporary credentials,
so it is authorized by the same engine, audited like any call, and can never do what the
API would refuse.
"""
