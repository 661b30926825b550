"""Handler of the release's HiPS: ``/hips/{path}``, for Aladin Lite."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from surveylab.hips import hips_file

from .base import SurveylabHandler

__all__ = ["HIPS_CACHE_CONTROL", "HiPSHandler"]

#: Browser caching of HiPS files: tiles change only when the HiPS is rebuilt.
HIPS_CACHE_CONTROL = "private, max-age=3600"


class HiPSHandler(SurveylabHandler):
    """``GET /hips/{path}``: a file of the release's HiPS (``properties``, ``Moc.fits``,
    ``Norder<k>/Dir<d>/Npix<n>.png``), so that Aladin Lite can load ``<base>/surveylab/api/hips``.

    Only files inside the HiPS folder are served (see :func:`surveylab.hips.hips_file`); without
    a HiPS, every path is a 404 saying how to build one.
    """

    @web.authenticated
    @authorized
    async def get(self, path: str = "properties") -> None:
        file, content_type = await self.call(hips_file, self.survey.settings.data_dir, path)
        data = await self.call(file.read_bytes)  # tiles are small (tens of kB)
        self.set_header("Cache-Control", HIPS_CACHE_CONTROL)
        await self.finish(data, set_content_type=content_type)
