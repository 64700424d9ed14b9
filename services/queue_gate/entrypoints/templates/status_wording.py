"""The status page's words, dates and numbers in Bahasa Indonesia and in English."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.entrypoints.templates.language_choice import Language
from shared.events import SiakStatus
from shared.regions import IndonesianTimeZone


class Outlook(StrEnum):
    """What a region's gate means for someone submitting online right now."""

    FORWARDING = "forwarding"
    CATCHING_UP = "catching-up"
    DEFERRING = "deferring"
    REJECTING = "rejecting"


def outlook_for(gate_state: GateState, mode: IntakeMode) -> Outlook:
    if gate_state is GateState.OPEN:
        return Outlook.FORWARDING
    if gate_state is GateState.RECOVERING:
        return Outlook.CATCHING_UP
    return Outlook.REJECTING if mode is IntakeMode.REJECT else Outlook.DEFERRING


@dataclass(frozen=True)
class Wording:
    language_name: str
    title: str
    explanation: str
    language_nav: str
    regions_heading: str
    updated: str
    refreshes_every: str
    showing_only: str
    show_all: str
    no_regions: str
    unknown_filter: str
    siak_status: str
    gate: str
    expected_return: str
    not_known_yet: str
    waiting: str
    status_since: str
    data_source: str
    siak_statuses: Mapping[SiakStatus, str]
    gate_states: Mapping[GateState, str]
    outlooks: Mapping[Outlook, str]
    months: tuple[str, ...]
    time_separator: str
    thousands_separator: str

    def local_time(self, at: datetime, zone: IndonesianTimeZone) -> str:
        """`15 Okt 2021, 09.00 WITA`: the instant as the region's wall clock shows it."""
        local = at.astimezone(zone.tzinfo)
        month = self.months[local.month - 1]
        clock = f"{local.hour:02d}{self.time_separator}{local.minute:02d}"
        return f"{local.day} {month} {local.year}, {clock} {zone.value}"

    def count(self, number: int) -> str:
        return f"{number:,}".replace(",", self.thousands_separator)


WORDING: Mapping[Language, Wording] = {
    Language.ID: Wording(
        language_name="Bahasa Indonesia",
        title="Status layanan SIAK per wilayah",
        explanation=(
            "Halaman ini menunjukkan apakah SIAK, sistem administrasi kependudukan pusat, "
            "dapat melayani tiap kabupaten/kota saat ini, dan apa artinya bagi pengajuan online "
            "Anda. Saat SIAK terganggu, pengajuan biasanya tetap diterima, disimpan dengan "
            "aman, lalu diteruskan ke SIAK sesuai urutan setelah pulih."
        ),
        language_nav="Bahasa",
        regions_heading="Kabupaten/kota",
        updated="Diperbarui",
        refreshes_every="Halaman ini memuat ulang sendiri setiap {seconds} detik.",
        showing_only="Hanya menampilkan",
        show_all="Tampilkan semua wilayah",
        no_regions="Belum ada kabar tentang wilayah mana pun.",
        unknown_filter="Kode wilayah atau provinsi itu tidak dikenal.",
        siak_status="Status SIAK",
        gate="Gerbang ke SIAK",
        expected_return="Perkiraan pulih",
        not_known_yet="Belum diketahui",
        waiting="Pengajuan menunggu",
        status_since="Status sejak",
        data_source=(
            "Kode dan nama wilayah: Kepmendagri 300.2.2-2138/2025, dari data "
            "cahyadsn/wilayah (lisensi MIT)."
        ),
        siak_statuses={
            SiakStatus.UP: "Normal",
            SiakStatus.DEGRADED: "Lambat",
            SiakStatus.DOWN: "Tidak tersedia",
            SiakStatus.MAINTENANCE: "Pemeliharaan",
            SiakStatus.UNKNOWN: "Tidak diketahui",
        },
        gate_states={
            GateState.OPEN: "Terbuka",
            GateState.CLOSED: "Tertutup",
            GateState.RECOVERING: "Memulihkan",
        },
        outlooks={
            Outlook.FORWARDING: "Pengajuan online langsung diteruskan ke SIAK.",
            Outlook.CATCHING_UP: (
                "SIAK sudah pulih; pengajuan yang menunggu sedang diteruskan bertahap "
                "sesuai urutan."
            ),
            Outlook.DEFERRING: (
                "Layanan online tetap menerima pengajuan; akan diteruskan ke SIAK saat pulih."
            ),
            Outlook.REJECTING: (
                "Layanan online sementara tidak menerima pengajuan; silakan coba lagi nanti."
            ),
        },
        months=("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
        time_separator=".",
        thousands_separator=".",
    ),
    Language.EN: Wording(
        language_name="English",
        title="SIAK service status by region",
        explanation=(
            "This page shows whether SIAK, the national population-administration system, "
            "can serve each regency and city right now, and what that means for your online "
            "submission. While SIAK is unavailable, submissions are usually still accepted, "
            "kept safely, and forwarded to SIAK in order once it is back."
        ),
        language_nav="Language",
        regions_heading="Regencies and cities",
        updated="Updated",
        refreshes_every="This page reloads itself every {seconds} seconds.",
        showing_only="Showing only",
        show_all="Show all regions",
        no_regions="No news about any region yet.",
        unknown_filter="That region or province code is not known.",
        siak_status="SIAK status",
        gate="Gate to SIAK",
        expected_return="Expected back",
        not_known_yet="Not known yet",
        waiting="Submissions waiting",
        status_since="Status since",
        data_source=(
            "Region codes and names: Kepmendagri 300.2.2-2138/2025, from the "
            "cahyadsn/wilayah data set (MIT licence)."
        ),
        siak_statuses={
            SiakStatus.UP: "Working",
            SiakStatus.DEGRADED: "Slow",
            SiakStatus.DOWN: "Unavailable",
            SiakStatus.MAINTENANCE: "Under maintenance",
            SiakStatus.UNKNOWN: "Unknown",
        },
        gate_states={
            GateState.OPEN: "Open",
            GateState.CLOSED: "Closed",
            GateState.RECOVERING: "Recovering",
        },
        outlooks={
            Outlook.FORWARDING: "Online submissions go straight to SIAK.",
            Outlook.CATCHING_UP: (
                "SIAK is back; waiting submissions are being forwarded gradually, in order."
            ),
            Outlook.DEFERRING: (
                "The online service still accepts submissions; they will be forwarded to "
                "SIAK when it recovers."
            ),
            Outlook.REJECTING: (
                "The online service is temporarily not accepting submissions; please try "
                "again later."
            ),
        },
        months=("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        time_separator=":",
        thousands_separator=",",
    ),
}
