"""The Internet-infrastructure sources, one module each, all of the project's one
:class:`~observatory.sources.Source` shape; they are in the source registry by their ``NAME``
(:func:`observatory.network.service.sources`)."""
