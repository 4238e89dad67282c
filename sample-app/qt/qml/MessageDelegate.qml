import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab

// One row of a timeline: a day separator and the unread marker when they start here, the
// sender's name at the start of a group, the bubble (quote, text, time, edited mark,
// delivery, its files: an image shown from its preview until it is downloaded, other
// files as a chip with their size, each with its upload or download progress), its
// reactions and thread replies, and for a failed message why, with Retry and Discard.
Item {
    id: row
    required property int index
    required property string clientMessageId
    required property string messageId
    required property var localId
    required property var seq
    required property string senderId
    required property string senderName
    required property string text
    required property var createdAt
    required property bool edited
    required property bool deleted
    required property var reactions
    required property int replyCount
    required property string deliveryState
    required property string error
    required property string errorCode
    required property bool isOwn
    required property bool startsNewDay
    required property bool startsNewGroup
    required property int readByCount
    required property string replyToSender
    required property string replyToText
    required property string replyTo
    required property bool firstUnread
    required property var attachments

    property bool inThread: false
    property string conversationId
    signal openThread(string messageId, string senderId, string senderName, string text)
    signal replyRequested(string messageId, string senderName, string text)
    signal editRequested(string messageId, var localId, string text)

    width: ListView.view ? ListView.view.width : 400
    implicitHeight: column.implicitHeight + (startsNewGroup ? 10 : 2)

    readonly property var chat: app.chat
    // Drawn as the user's own bubble (a failed one is drawn as a warning instead).
    readonly property bool ownStyle: isOwn && deliveryState !== "failed"
    readonly property bool hovered: hover.hovered

    HoverHandler { id: hover }

    // Why a message failed, in the user's words where the code says enough.
    function reason() {
        switch (errorCode) {
        case "not_found": return qsTr("the message it answers is gone")
        case "forbidden": return qsTr("you may not post this here")
        case "not_member": return qsTr("you are no longer in this conversation")
        case "too_old": return qsTr("it could not be sent in time")
        case "invalid_field": case "invalid_argument": return qsTr("the server refused it (%1)").arg(error)
        default: return error
        }
    }

    ColumnLayout {
        id: column
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        anchors.leftMargin: 18
        anchors.rightMargin: 18
        spacing: 4

        // Day separator.
        RowLayout {
            visible: row.startsNewDay
            Layout.fillWidth: true
            Layout.topMargin: 12
            Layout.bottomMargin: 6
            Rectangle { Layout.fillWidth: true; height: 1; color: Theme.divider }
            Text {
                text: app.dayLabel(row.createdAt)
                color: Theme.textMuted
                font.family: Theme.fontFamily
                font.pixelSize: Theme.smallFontSize
                font.weight: Font.DemiBold
            }
            Rectangle { Layout.fillWidth: true; height: 1; color: Theme.divider }
        }
        // Unread marker.
        RowLayout {
            visible: row.firstUnread && !row.inThread
            Layout.fillWidth: true
            Layout.topMargin: 4
            Rectangle { Layout.fillWidth: true; height: 1; color: Theme.danger }
            Text {
                text: qsTr("New")
                color: Theme.danger
                font.family: Theme.fontFamily
                font.pixelSize: Theme.smallFontSize
                font.weight: Font.Bold
            }
        }

        RowLayout {
            Layout.fillWidth: true
            spacing: 10
            layoutDirection: row.isOwn ? Qt.RightToLeft : Qt.LeftToRight

            // The avatar column (others only); empty under the first row of a group.
            Item {
                visible: !row.isOwn
                Layout.preferredWidth: 34
                Layout.preferredHeight: 34
                Layout.alignment: Qt.AlignTop
                Avatar {
                    visible: row.startsNewGroup
                    userId: row.senderId
                    name: row.senderName
                    size: 34
                }
            }

            ColumnLayout {
                spacing: 3
                Layout.maximumWidth: Math.min(560, row.width * 0.68)
                Layout.alignment: row.isOwn ? Qt.AlignRight : Qt.AlignLeft

                RowLayout {
                    visible: row.startsNewGroup && !row.isOwn
                    spacing: 8
                    Text {
                        text: row.senderName
                        color: Theme.text
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.fontSize - 1
                        font.weight: Font.DemiBold
                    }
                    Text {
                        text: Qt.formatTime(row.createdAt, "hh:mm")
                        color: Theme.textMuted
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.smallFontSize
                    }
                }

                Rectangle {
                    id: bubble
                    Layout.alignment: row.isOwn ? Qt.AlignRight : Qt.AlignLeft
                    implicitWidth: Math.max(body.visible ? body.implicitWidth : 0, quote.visible ? quote.implicitWidth : 0,
                                            files.visible ? files.implicitWidth : 0, meta.implicitWidth) + 28
                    implicitHeight: bubbleContent.implicitHeight + 18
                    Layout.maximumWidth: Math.min(560, row.width * 0.68)
                    radius: Theme.radius
                    color: row.deleted ? "transparent"
                         : row.deliveryState === "failed" ? Theme.dangerSoft
                         : row.isOwn ? Theme.bubbleOwn : Theme.bubbleOther
                    // A search result jumped to is outlined.
                    readonly property bool highlighted: row.ListView.view !== null && row.messageId !== ""
                                                        && row.ListView.view.highlighted === row.messageId
                    border.width: highlighted ? 2 : row.deleted ? 1 : 0
                    border.color: highlighted ? Theme.accent : Theme.divider
                    opacity: row.deliveryState === "pending" || row.deliveryState === "sending" ? 0.8 : 1

                    ColumnLayout {
                        id: bubbleContent
                        anchors.fill: parent
                        anchors.margins: 9
                        anchors.leftMargin: 14
                        anchors.rightMargin: 14
                        spacing: 4

                        Rectangle {
                            id: quote
                            visible: row.replyTo !== ""
                            Layout.fillWidth: true
                            implicitWidth: quoteText.implicitWidth + 16
                            implicitHeight: quoteText.implicitHeight + 10
                            radius: 8
                            color: row.ownStyle ? Qt.rgba(1, 1, 1, 0.16) : Theme.raised
                            Rectangle { width: 3; radius: 1; height: parent.height; color: row.ownStyle ? "white" : Theme.accent }
                            Text {
                                id: quoteText
                                anchors.fill: parent
                                anchors.leftMargin: 10
                                anchors.topMargin: 5
                                text: row.replyToSender !== "" ? "<b>" + Theme.plain(row.replyToSender) + "</b>  " + Theme.plain(row.replyToText)
                                                               : qsTr("A reply to an earlier message")
                                textFormat: Text.StyledText
                                elide: Text.ElideRight
                                maximumLineCount: 2
                                wrapMode: Text.Wrap
                                color: row.ownStyle ? Theme.bubbleOwnText : Theme.textMuted
                                font.family: Theme.fontFamily
                                font.pixelSize: Theme.smallFontSize
                            }
                        }

                        Column {
                            id: files
                            visible: !row.deleted && row.attachments.length > 0
                            spacing: 6
                            Repeater {
                                model: row.attachments
                                AttachmentView {
                                    required property var modelData
                                    file: modelData
                                    own: row.ownStyle
                                    localId: row.localId
                                    uploading: row.isOwn && row.messageId === ""
                                }
                            }
                        }

                        Text {
                            id: body
                            visible: row.deleted || row.text !== ""
                            Layout.fillWidth: true
                            text: row.deleted ? qsTr("This message was deleted") : row.text
                            textFormat: Text.PlainText
                            wrapMode: Text.Wrap
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.fontSize
                            font.italic: row.deleted
                            color: row.deleted ? Theme.textMuted
                                 : row.deliveryState === "failed" ? Theme.text
                                 : row.isOwn ? Theme.bubbleOwnText : Theme.text
                        }

                        Row {
                            id: meta
                            Layout.alignment: Qt.AlignRight
                            spacing: 6
                            visible: !row.deleted
                            readonly property color tone: row.isOwn && row.deliveryState !== "failed"
                                                          ? Theme.bubbleOwnMuted : Theme.textMuted
                            Text {
                                visible: row.edited
                                text: qsTr("edited")
                                color: meta.tone
                                font.family: Theme.fontFamily
                                font.pixelSize: Theme.smallFontSize - 1
                                font.italic: true
                            }
                            Text {
                                visible: row.isOwn || !row.startsNewGroup
                                text: Qt.formatTime(row.createdAt, "hh:mm")
                                color: meta.tone
                                font.family: Theme.fontFamily
                                font.pixelSize: Theme.smallFontSize - 1
                            }
                            DeliveryIndicator {
                                visible: row.isOwn
                                delivery: row.deliveryState
                                readByCount: row.readByCount
                                color: meta.tone
                            }
                        }
                    }
                }

                // Why it failed, and what to do.
                RowLayout {
                    visible: row.deliveryState === "failed"
                    Layout.alignment: Qt.AlignRight
                    spacing: 10
                    Text {
                        text: qsTr("Not sent: %1").arg(row.reason())
                        color: Theme.danger
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.smallFontSize
                        elide: Text.ElideRight
                        Layout.maximumWidth: 320
                    }
                    LinkButton { text: qsTr("Retry"); onClicked: row.chat.retry(row.localId) }
                    LinkButton { text: qsTr("Discard"); onClicked: row.chat.discard(row.localId) }
                }

                // Reactions.
                Flow {
                    visible: row.reactions.length > 0
                    Layout.alignment: row.isOwn ? Qt.AlignRight : Qt.AlignLeft
                    Layout.maximumWidth: 400
                    spacing: 6
                    Repeater {
                        model: row.reactions
                        delegate: Rectangle {
                            required property var modelData
                            width: chip.implicitWidth + 16
                            height: 26
                            radius: 13
                            color: modelData.mine ? Theme.accentSoft : Theme.surface
                            border.width: 1
                            border.color: modelData.mine ? Theme.accent : Theme.divider
                            Text {
                                id: chip
                                anchors.centerIn: parent
                                text: modelData.emoji + "  " + modelData.count
                                color: Theme.text
                                font.family: Theme.fontFamily
                                font.pixelSize: Theme.smallFontSize
                            }
                            TapHandler {
                                onTapped: modelData.mine
                                          ? row.chat.unreact(row.conversationId, row.messageId, row.localId, modelData.emoji)
                                          : row.chat.react(row.conversationId, row.messageId, row.localId, modelData.emoji)
                            }
                        }
                    }
                }

                // Thread replies.
                LinkButton {
                    visible: row.replyCount > 0 && !row.inThread
                    Layout.alignment: row.isOwn ? Qt.AlignRight : Qt.AlignLeft
                    text: row.replyCount === 1 ? qsTr("1 reply") : qsTr("%1 replies").arg(row.replyCount)
                    onClicked: row.openThread(row.messageId, row.senderId, row.senderName, row.text)
                }
            }

            // Actions on hover.
            Row {
                visible: row.hovered && !row.deleted && row.messageId !== ""
                Layout.alignment: Qt.AlignVCenter
                spacing: 2
                IconButton { glyph: "👍"; tip: qsTr("React"); onClicked: row.chat.react(row.conversationId, row.messageId, row.localId, "👍") }
                IconButton { visible: !row.inThread; glyph: "\u21A9"; tip: qsTr("Quote"); onClicked: row.replyRequested(row.messageId, row.senderName, row.text) }
                IconButton { visible: !row.inThread; glyph: "💬"; tip: qsTr("Reply in thread"); onClicked: row.openThread(row.messageId, row.senderId, row.senderName, row.text) }
                IconButton { visible: row.isOwn; glyph: "\u270E"; tip: qsTr("Edit"); onClicked: row.editRequested(row.messageId, row.localId, row.text) }
                IconButton { visible: row.isOwn; glyph: "🗑"; tip: qsTr("Delete"); onClicked: row.chat.remove(row.conversationId, row.messageId, row.localId) }
            }
            Item { Layout.fillWidth: true }
        }
    }
}
