"""Errors raised by services; messages name the value and what to do."""

from review_queue.domain.errors import DomainError


class ServiceError(DomainError):
    status_code = 400


class InvalidInput(ServiceError):
    status_code = 422


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409
