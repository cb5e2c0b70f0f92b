"""The first page: who is signed in and what they may do here."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.deps import SignedIn
from console.pages import render

router = APIRouter()


@router.get("/")
async def home(request: Request, viewer: SignedIn) -> Response:
    return render(request, "home.html")
