"""The IVOA face of a release: TAP 1.1 with ADQL 2.1, UWS 1.1 jobs, VOSI, SODA, SIA 2 and DataLink.

The protocols are translated here onto the same core as the REST API (the catalog backends, the
job store, the cutout engine), with no Jupyter code: a server adapter turns an HTTP request into
a :class:`~surveylab.vo.protocol.VORequest`, calls :class:`~surveylab.vo.service.VOService`
and writes the :class:`~surveylab.vo.protocol.VOResponse` it gets back. The lab's server
extension mounts it under ``/surveylab/tap``, ``/surveylab/soda``, ``/surveylab/sia`` and
``/surveylab/datalink``; the hub's platform service can mount the same service.
"""
